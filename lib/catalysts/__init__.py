"""What comes next: scheduled policy deadlines, project milestones and earnings in one calendar.

``model`` builds the tidy catalyst table and its filters; ``ics`` writes and reads iCalendar
files; ``earnings`` holds the sourced offline dates and the cached online ones.
"""
