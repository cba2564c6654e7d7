hello file:
  file.managed:
    - name: {{ pillar.get('root', '/tmp/never-applied') }}/hello.txt
    - source: salt://files/hello.txt
    - makedirs: True

sub file:
  file.managed:
    - name: {{ pillar.get('root', '/tmp/never-applied') }}/sub/deep.txt
    - source: salt://files/sub/deep.txt
    - makedirs: True
