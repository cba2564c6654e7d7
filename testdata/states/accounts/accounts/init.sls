sg_group:
  group.present:
    - name: sgdevs
    - gid: 3100

sg_group_system:
  group.present:
    - name: sgsys
    - system: True

sg_group_members:
  group.present:
    - name: sgteam
    - gid: 3102
    - members:
      - sgalice
    - require:
      - user: sg_user

sg_group_absent:
  group.absent:
    - name: sgoldgrp

sg_user:
  user.present:
    - name: sgalice
    - uid: 3101
    - gid: sgdevs
    - home: /home/sgalice
    - createhome: True
    - shell: /bin/sh
    - fullname: Alice Example
    - password: '$6$sgsalt$2buXAQLJOTsTGNRZxCMvy1qjrJT3PIJoc1WePWLg.pZQ/8shCg8np8x8cdSDirwPX.ymMOMn40qbDqyhwWf.Q/'
    - groups:
      - sgdevs
    - optional_groups:
      - sg-no-such-optional
      - sgsys
    - require:
      - group: sg_group
      - group: sg_group_system

sg_user_system:
  user.present:
    - name: sgdaemon
    - system: True
    - createhome: False
    - home: /nonexistent
    - shell: /usr/sbin/nologin

sg_user_missing_group:
  user.present:
    - name: sgbob
    - groups:
      - sg-no-such-group

sg_user_missing_gid:
  user.present:
    - name: sgcarol
    - gid: sg-no-such-group

sg_user_absent:
  user.absent:
    - name: sgolduser
    - purge: True

sg_user_absent_missing:
  user.absent:
    - name: sg-never-existed
