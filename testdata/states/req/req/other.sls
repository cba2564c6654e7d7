other_one:
  test.succeed_without_changes: []

other_fail:
  test.fail_without_changes: []
