alice-key:
  ssh_auth.present:
    - user: alice
    - name: AAAAC3NzaC1lZDI1NTE5AAAAIG7Tr4NYl96YgkMReIWfObKOUN0y22A2+mF42exTvGWa
    - enc: ssh-ed25519
    - comment: k1@test

alice-key-line:
  ssh_auth.present:
    - user: alice
    - name: 'command="/bin/date",no-pty ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHqoexvK2Ayo1dNl1s1HRs2fKUZFrUEs/iOKbAW7V/t8 k2 with spaces'

carol-options:
  ssh_auth.present:
    - user: carol
    - name: AAAAC3NzaC1lZDI1NTE5AAAAIG7Tr4NYl96YgkMReIWfObKOUN0y22A2+mF42exTvGWa
    - enc: ed25519
    - options:
      - no-port-forwarding
      - from="127.0.0.1"

bob-source:
  ssh_auth.present:
    - user: bob
    - source: salt://ssh/keys/bob.pub

no-such-user:
  ssh_auth.present:
    - user: nosuchuser
    - name: AAAAC3NzaC1lZDI1NTE5AAAAIG7Tr4NYl96YgkMReIWfObKOUN0y22A2+mF42exTvGWa
    - enc: ssh-ed25519

bad-key:
  ssh_auth.present:
    - user: alice
    - name: not-base64!
    - enc: ssh-ed25519

missing-source:
  ssh_auth.present:
    - user: bob
    - source: salt://ssh/keys/missing.pub

empty-source:
  ssh_auth.present:
    - user: bob
    - source: salt://ssh/keys/empty.pub
