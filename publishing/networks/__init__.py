"""One module per network behind one interface; text rules and checks shared by all."""
