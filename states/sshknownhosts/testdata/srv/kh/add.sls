alice-host:
  ssh_known_hosts.present:
    - name: git.example
    - user: alice
    - enc: ssh-ed25519
    - key: AAAAC3NzaC1lZDI1NTE5AAAAIFgLdY0DcduMQkaM2bVFc3wSYj88cL0kkYggT2ImmwpL

system-host:
  ssh_known_hosts.present:
    - name: 127.0.0.1
    - enc: ssh-ed25519
    - key: AAAAC3NzaC1lZDI1NTE5AAAAIGip7/M6ToIm4Z7gmPsEULfiC0FyxEubm7ERzdOHlP5q
    - hash_known_hosts: False

relative-config:
  ssh_known_hosts.present:
    - name: x.example
    - config: known
    - enc: ssh-ed25519
    - key: AAAAC3NzaC1lZDI1NTE5AAAAIFgLdY0DcduMQkaM2bVFc3wSYj88cL0kkYggT2ImmwpL

no-such-user:
  ssh_known_hosts.present:
    - name: y.example
    - user: nosuchuser
    - enc: ssh-ed25519
    - key: AAAAC3NzaC1lZDI1NTE5AAAAIFgLdY0DcduMQkaM2bVFc3wSYj88cL0kkYggT2ImmwpL
