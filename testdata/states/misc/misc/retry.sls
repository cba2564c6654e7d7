retry_fail:
  cmd.run:
    - name: exit 1
    - retry:
        attempts: 2
        interval: 1

retry_until_ok:
  test.succeed_with_changes:
    - retry:
        attempts: 3
        until: True
        interval: 1
