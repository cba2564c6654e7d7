sg_latest:
  pkg.latest:
    - name: sgfoo

sg_latest_pkgs:
  pkg.latest:
    - pkgs:
      - sgbar
      - sgone

sg_latest_missing:
  pkg.latest:
    - name: sg-no-such-package

sg_held_version:
  pkg.installed:
    - name: sgheld
    - version: '2.0'
