by_id_state:
  test.succeed_without_changes: []
