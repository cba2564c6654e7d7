job-with-id:
  cron.present:
    - name: /usr/local/bin/backup --all --verbose
    - identifier: backup
    - minute: 10
    - hour: 2
    - comment: nightly backup

reboot-job:
  cron.present:
    - name: /usr/local/bin/onboot
    - special: '@daily'

mailto:
  cron.env_present:
    - name: MAILTO
    - value: root@example.com

plain-job:
  cron.present:
    - name: /bin/true
    - dayweek: 1
    - commented: False
