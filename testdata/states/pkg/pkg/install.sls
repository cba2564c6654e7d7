# Packages come from the test's own file:// repository (sg* debs built
# with dpkg-deb); nothing else is reachable.
sg_single:
  pkg.installed:
    - name: sgbar
    - refresh: True

sg_pkgs:
  pkg.installed:
    - pkgs:
      - sgbaz
      - sgfoo: '1.0'

sg_version:
  pkg.installed:
    - name: sgone
    - version: '1.0'

sg_hold:
  pkg.installed:
    - name: sgheld
    - version: '1.0'
    - hold: True

sg_missing:
  pkg.installed:
    - name: sg-no-such-package

sg_missing_in_pkgs:
  pkg.installed:
    - pkgs:
      - sgbar
      - sg-no-such-thing

sg_after_failure:
  pkg.installed:
    - name: sgqux
