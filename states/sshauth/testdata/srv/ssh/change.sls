alice-key:
  ssh_auth.present:
    - user: alice
    - name: AAAAC3NzaC1lZDI1NTE5AAAAIG7Tr4NYl96YgkMReIWfObKOUN0y22A2+mF42exTvGWa
    - enc: ssh-ed25519
    - comment: k1 renamed

carol-options:
  ssh_auth.present:
    - user: carol
    - name: AAAAC3NzaC1lZDI1NTE5AAAAIG7Tr4NYl96YgkMReIWfObKOUN0y22A2+mF42exTvGWa
    - enc: ed25519
    - options:
      - no-port-forwarding
