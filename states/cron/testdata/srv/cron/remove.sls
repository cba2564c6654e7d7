job-with-id:
  cron.absent:
    - name: /usr/local/bin/backup --all --verbose
    - identifier: backup

reboot-job:
  cron.absent:
    - name: /usr/local/bin/onboot
    - special: '@daily'

mailto:
  cron.env_absent:
    - name: MAILTO

alice-job:
  cron.absent:
    - name: echo hello
    - user: alice

never-there:
  cron.absent:
    - name: /bin/never
