fh_before:
  test.succeed_without_changes: []

fh_fail:
  test.fail_without_changes:
    - failhard: True

fh_after:
  test.succeed_without_changes: []
