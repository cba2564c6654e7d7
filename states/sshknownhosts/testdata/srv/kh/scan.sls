# Only a fingerprint: Salt runs ssh-keyscan against 127.0.0.1, inside the
# container's own network namespace, where no sshd listens.
scan-no-server:
  ssh_known_hosts.present:
    - name: 127.0.0.1
    - user: alice
    - fingerprint: e4:d8:84:c7:f4:09:d7:bf:91:0c:41:71:a8:b3:41:27:79:96:d8:b3:65:5b:06:f5:57:5c:d8:f8:7a:4a:a4:b6
    - timeout: 1
