from django.apps import AppConfig


class CareConfig(AppConfig):
    name = "care"
    verbose_name = "关怀服务"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # family liaison files: the overdue reminder job and its notification kind
        from care.liaison.jobs import register_jobs as register_liaison_jobs

        register_liaison_jobs()

        # probationary members: conversion reminders to their secretary
        from care.probation.jobs import register_jobs as register_probation_jobs

        register_probation_jobs()
