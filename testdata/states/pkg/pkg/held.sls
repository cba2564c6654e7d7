sg_unheld:
  pkg.unheld:
    - name: sgheld

sg_held:
  pkg.held:
    - name: sgbar

sg_hold_false:
  pkg.installed:
    - name: sgbaz
    - hold: False
