# Only lines of the container's /etc/hosts (addresses of TEST-NET-1, never
# contacted).
sg_present:
  host.present:
    - name: sg.example.test
    - ip: 192.0.2.10

sg_present_multi:
  host.present:
    - ip: 192.0.2.11
    - names:
      - sgmulti.test
      - sgmulti2.test

sg_present_existing:
  host.present:
    - name: sgkeep.test
    - ip: 192.0.2.50

sg_absent:
  host.absent:
    - name: sgold.test
    - ip: 192.0.2.20

sg_absent_missing:
  host.absent:
    - name: sgnever.test
    - ip: 192.0.2.21

sg_only:
  host.only:
    - name: 192.0.2.30
    - hostnames:
      - sgonly.test
      - sgonly2.test

sg_present_clean:
  host.present:
    - name: sgclean.test
    - ip: 192.0.2.40
    - clean: True
