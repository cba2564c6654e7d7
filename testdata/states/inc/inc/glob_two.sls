glob_two_state:
  test.succeed_without_changes: []
