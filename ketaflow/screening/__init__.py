"""Screening and medical clearance (eligibility reviews with prescriber sign-off) and informed consent."""
