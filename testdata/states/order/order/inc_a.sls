a_first_in_a:
  test.succeed_without_changes: []

a_second_in_a:
  test.succeed_without_changes: []
