alice-host:
  ssh_known_hosts.absent:
    - name: git.example
    - user: alice

system-host:
  ssh_known_hosts.absent:
    - name: 127.0.0.1

never-there:
  ssh_known_hosts.absent:
    - name: never.example
    - user: alice
