/** flows4j model zoo: NICE, RealNVP, Glow, datasets and the flows4j command. */
module org.flows4j.zoo {
    requires org.flows4j.layers;
}
