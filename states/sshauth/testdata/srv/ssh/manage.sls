carol-only:
  ssh_auth.manage:
    - user: carol
    - ssh_keys:
      - no-port-forwarding ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG7Tr4NYl96YgkMReIWfObKOUN0y22A2+mF42exTvGWa
      - ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIN0V0wkFCrFqwmtTHPmARW6Z/JxWhwoJBjjmz2DuHM3R k3 for carol
