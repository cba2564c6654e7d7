sgusers:
  shell: /bin/bash
  groups:
    sgops:
      gid: 3200
    sgweb: {}
  users:
    sgdan:
      uid: 3201
      fullname: Dan Ops
      groups: [sgops, sgweb]
      sudo: True
    sgerin:
      groups: [sgweb]
      shell: /bin/sh
  absent:
    - sgformerly

sgapp:
  packages:
    - sgbar
    - sgbaz
  port: 9090
  hosts:
    sgdb.test: 192.0.2.60
    sgcache.test: 192.0.2.61

sgmotd:
  banner: Hello
  lines:
    - managed by formulas
