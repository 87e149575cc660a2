from helpdesk.web.cli import main

main()
