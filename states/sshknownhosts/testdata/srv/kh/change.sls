alice-host:
  ssh_known_hosts.present:
    - name: git.example
    - user: alice
    - enc: ssh-ed25519
    - key: AAAAC3NzaC1lZDI1NTE5AAAAIGip7/M6ToIm4Z7gmPsEULfiC0FyxEubm7ERzdOHlP5q
