# Run while another process holds dpkg's locks.
sg_locked_install:
  pkg.installed:
    - name: sgqux

sg_locked_remove:
  pkg.removed:
    - name: sgfoo

sg_locked_independent:
  test.succeed_without_changes:
    - name: independent
