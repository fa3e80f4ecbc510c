"""System checks for the field encryption keys (registered from OrganizationsConfig.ready)."""

from __future__ import annotations

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security)
def field_keys_check(app_configs=None, **kwargs):
    from cryptography.fernet import Fernet

    errors = []
    keys = [k for k in getattr(settings, "EHOME_FIELD_ENCRYPTION_KEYS", []) if k.strip()]
    if not keys and not getattr(settings, "EHOME_FIELD_ENCRYPTION_DEV_KEY", False):
        errors.append(
            checks.Error(
                "未配置党员档案字段加密密钥（EHOME_FIELD_ENCRYPTION_KEYS）",
                hint="生成：python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())'，见 docs/operations.md “党员档案密钥”",
                id="organizations.E101",
            )
        )
    for i, key in enumerate(keys):
        try:
            Fernet(key.strip().encode())
        except (ValueError, TypeError):
            errors.append(
                checks.Error(
                    f"EHOME_FIELD_ENCRYPTION_KEYS 第 {i + 1} 个密钥不是有效的 Fernet 密钥",
                    hint="Fernet 密钥是 32 字节的 URL 安全 Base64 编码（44 个字符）",
                    id="organizations.E102",
                )
            )
    return errors


@checks.register(checks.Tags.security, deploy=True)
def field_keys_deploy_check(app_configs=None, **kwargs):
    keys = [k for k in getattr(settings, "EHOME_FIELD_ENCRYPTION_KEYS", []) if k.strip()]
    if keys:
        return []
    return [
        checks.Error(
            "部署环境必须通过 EHOME_FIELD_ENCRYPTION_KEYS 提供字段加密密钥，不能使用开发密钥",
            id="organizations.E103",
        )
    ]
