def ticket_price(age, is_student):
    """Return the ticket price in euros for a visitor of the given age.

    Under 3: 0; 3 to 12: 6; 65 and over: 8; otherwise 9 for students and 12 for others.
    """
    if age < 3:
        return 0
    elif age <= 12:
        return 6
    elif age >= 65:
        return 8
    elif is_student:
        return 9
    else:
        return 12
