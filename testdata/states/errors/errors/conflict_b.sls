dup_id:
  test.succeed_without_changes:
    - comment: from b
