"""Pure domain: entities, status rules, policies and ports. Imports nothing of ours."""
