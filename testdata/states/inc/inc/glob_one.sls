glob_one_state:
  test.succeed_without_changes: []
