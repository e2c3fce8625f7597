def ticket_price(age, is_student):
    """Return the ticket price in euros for a visitor of the given age.

    Under 3: 0; 3 to 12: 6; 65 and over: 8; otherwise 9 for students and 12 for others.
    """
    raise NotImplementedError("Write ticket_price() here")
