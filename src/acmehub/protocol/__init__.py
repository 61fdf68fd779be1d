"""The ACME web front end (Boulder's WFE): HTTP, JWS and problem documents only."""
