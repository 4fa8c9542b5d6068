from denialops_llm_worker.main import main

main()
