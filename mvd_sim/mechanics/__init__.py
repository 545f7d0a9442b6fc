"""Rod mechanics: frame elements, contacts, sponges, pulsatility and the equilibrium solver."""
