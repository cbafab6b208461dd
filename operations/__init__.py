"""Operations: the health probe for load balancers and the Prometheus metrics."""
