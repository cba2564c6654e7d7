slow_state:
  cmd.run:
    - name: sleep 8
