alice-host:
  ssh_known_hosts.present:
    - name: git.example
    - user: alice
    - enc: ssh-ed25519
    - key: AAAAC3NzaC1lZDI1NTE5AAAAIFgLdY0DcduMQkaM2bVFc3wSYj88cL0kkYggT2ImmwpL

alice-host-fingerprint:
  ssh_known_hosts.present:
    - name: git.example
    - user: alice
    - fingerprint: e4:d8:84:c7:f4:09:d7:bf:91:0c:41:71:a8:b3:41:27:79:96:d8:b3:65:5b:06:f5:57:5c:d8:f8:7a:4a:a4:b6

alice-host-md5:
  ssh_known_hosts.present:
    - name: git.example
    - user: alice
    - fingerprint: 6c:48:e7:e5:7c:f5:38:6e:0f:a2:da:38:b5:34:dd:fb
    - fingerprint_hash_type: md5

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
