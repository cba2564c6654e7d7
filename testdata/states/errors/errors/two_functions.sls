two_funs:
  test.succeed_without_changes: []
  test.fail_without_changes: []
