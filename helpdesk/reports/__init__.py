"""What supervisors read: figures over a period (figures.py), the quality check's report, the staffing forecast.

Every report reads the SQL record (helpdesk/record/models.py); periods are days of the shop's time zone."""
