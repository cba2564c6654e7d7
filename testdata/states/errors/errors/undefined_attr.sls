uses_missing_pillar:
  test.succeed_without_changes:
    - name: {{ pillar['no_such_key'] }}
