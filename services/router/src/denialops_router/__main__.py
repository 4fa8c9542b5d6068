from denialops_router.main import main

main()
