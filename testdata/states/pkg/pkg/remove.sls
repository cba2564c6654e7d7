sg_removed:
  pkg.removed:
    - name: sgbaz

sg_purged:
  pkg.purged:
    - pkgs:
      - sgqux
      - sgrm

sg_removed_absent:
  pkg.removed:
    - name: sg-never-installed

sg_removed_version:
  pkg.removed:
    - name: sgone
    - version: '9.9'
