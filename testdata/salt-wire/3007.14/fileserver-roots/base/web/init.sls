hello file:
  file.managed:
    - name: /tmp/never-applied/hello.txt
    - source: salt://files/hello.txt
