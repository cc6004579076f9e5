"""AWS building blocks shared by the fargate and lambda stacks (network, data stores, secrets, image, alarms)."""
