from denialops_intake.main import main

main()
