sg_user:
  user.present:
    - name: sgalice
    - shell: /bin/bash
    - fullname: Alice B. Example
    - groups:
      - sgsys

sg_group_absent:
  group.absent:
    - name: sgteam
