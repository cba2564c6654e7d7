key-without-enc:
  ssh_known_hosts.present:
    - name: z.example
    - user: alice
    - key: AAAAC3NzaC1lZDI1NTE5AAAAIFgLdY0DcduMQkaM2bVFc3wSYj88cL0kkYggT2ImmwpL

key-and-fingerprint:
  ssh_known_hosts.present:
    - name: z.example
    - user: alice
    - enc: ssh-ed25519
    - key: AAAAC3NzaC1lZDI1NTE5AAAAIFgLdY0DcduMQkaM2bVFc3wSYj88cL0kkYggT2ImmwpL
    - fingerprint: 'aa:bb'
