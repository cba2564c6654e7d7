alice-key:
  ssh_auth.absent:
    - user: alice
    - name: AAAAC3NzaC1lZDI1NTE5AAAAIG7Tr4NYl96YgkMReIWfObKOUN0y22A2+mF42exTvGWa
    - enc: ssh-ed25519

alice-key-line:
  ssh_auth.absent:
    - user: alice
    - name: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHqoexvK2Ayo1dNl1s1HRs2fKUZFrUEs/iOKbAW7V/t8 k2'

bob-source:
  ssh_auth.absent:
    - user: bob
    - source: salt://ssh/keys/bob.pub

no-such-user:
  ssh_auth.absent:
    - user: nosuchuser
    - name: AAAAC3NzaC1lZDI1NTE5AAAAIG7Tr4NYl96YgkMReIWfObKOUN0y22A2+mF42exTvGWa
