grain_no: true
