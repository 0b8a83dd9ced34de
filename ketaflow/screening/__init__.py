"""Screening and medical clearance (eligibility reviews, prescriber sign-off) and consent."""
