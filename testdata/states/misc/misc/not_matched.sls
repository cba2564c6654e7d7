not_matched_state:
  test.succeed_without_changes: []
